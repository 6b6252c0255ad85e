"""The overflow warehouse as a 3PL service (S2.1-S2.11): clients rent space, send goods in, and
have orders picked, packed and handed to carriers; each sees only its own goods and bills.

Its services, by sub-domain (each takes ``(session, actor, now)`` and never commits):

- space and money: :mod:`.clients` (clients, bays, locations, access), :mod:`.leases`,
  :mod:`.billing` (prices, fees, invoices);
- goods in and stock: :mod:`.skus`, :mod:`.inbound` (plans, receipts, pallets, put-away),
  :mod:`.stock` (the ledger and its balances);
- goods out: :mod:`.outbound` (orders, allocation, waves), :mod:`.picking` (scan-confirmed picks,
  packing), :mod:`.carriers` (waybills, hand-off), :mod:`.floor` (the floor's open work).

Shared by them: :mod:`.models` (tables), :mod:`.scope` (per-client isolation),
:mod:`.validation` (input checks). The boundaries sit on top: :mod:`.api` (routes, bodies and
answers in :mod:`.schemas`) and :mod:`.cli`; the scanner and portal pages are in ``web``.
"""
