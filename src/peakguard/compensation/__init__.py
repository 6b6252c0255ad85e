"""The coupon compensation register (S1.5): every order hit by a coupon failure, and how and
when the buyer was made whole."""
