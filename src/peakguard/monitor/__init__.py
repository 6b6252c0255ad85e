"""Live detection (S3.3 thresholds, S1.2, S1.5, S1.8): ingest parcel scans, orders and shop
metrics; dead-letter what is malformed; detect the seed's situations as they form and feed them
to the incident engine."""
