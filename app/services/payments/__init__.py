"""Payments: balances, the ledger, purchases and Stripe."""
