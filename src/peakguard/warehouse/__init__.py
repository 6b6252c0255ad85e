"""The overflow warehouse as a 3PL service (S2.1-S2.11): clients rent space, send goods in, and
have orders picked, packed and handed to carriers; each sees only its own goods and bills."""
