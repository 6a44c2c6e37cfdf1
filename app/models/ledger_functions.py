"""PostgreSQL functions of the `items` bind: a purchase in one round trip.

`dd_purchase_item` is the purchase of `app.services.payments.purchases.purchase_item`: the
item, the buyer's accounts locked in id order, the purchase row, the entitlement, the
ledger transaction and its entries, and the balances, written in one transaction. It is
called in autocommit, so its statements are one transaction: it commits when the function
returns and rolls back whole when it raises. Every refusal raises SQLSTATE `DDREF` with the
refusal's code as the message, so a refused purchase writes nothing:

    not_found, own_item, not_for_sale, price_changed, already_owned, insufficient_funds

It reads and writes only tables of the `items` bind: the users a block stands between the
buyer and are read from the `social` bind before the call and passed in, and the creator's
sale notification is written by the caller afterwards.

PL/pgSQL prepares each statement once per connection and gives each its own snapshot (READ
COMMITTED). This module holds the function's only text: `db.create_all()` creates it (the
DDL listener below) and the migrations create it from here (a change of its arguments needs
a migration that drops the old signature, as 0003 does)."""

from __future__ import annotations

import sqlalchemy as sa

REFUSED_SQLSTATE = "DDREF"

# Ids come in as bigint: an id out of the integer range is an unknown item (404), not an
# error. The text holds no "%" (sa.DDL formats it with Python's % operator).

PURCHASE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION dd_purchase_item(
    p_buyer_id bigint, p_item_id bigint, p_expected_price bigint, p_fee_bps bigint,
    p_created_at timestamp, p_shard integer, p_blocked bigint[],
    OUT o_purchase_id integer, OUT o_transaction_id integer, OUT o_creator_id integer,
    OUT o_title text, OUT o_price bigint, OUT o_fee bigint, OUT o_from_credit bigint,
    OUT o_credit_left bigint, OUT o_earnings_left bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_pricing text;
    v_credit_code text := 'user:' || p_buyer_id || ':credit';
    v_earnings_code text := 'user:' || p_buyer_id || ':earnings';
    v_seller_code text;
    v_credit_id integer;
    v_credit_stored bigint;
    v_credit_shards boolean;
    v_earnings_id integer;
    v_earnings_stored bigint;
    v_earnings_shards boolean;
    v_seller_id integer;
    v_fees_id integer;
    v_folded bigint;
    v_created boolean := false;
    r record;
BEGIN
    -- The item as the purchase sees it: published and not deleted, or nothing.
    SELECT i.creator_id, i.title, i.pricing, i.price_cents
      INTO o_creator_id, o_title, v_pricing, o_price
      FROM items i
     WHERE i.id = p_item_id AND i.status = 'published' AND i.deleted_at IS NULL;
    -- p_blocked: the users a block stands between the buyer and (the social bind's, read by
    -- the caller): a blocked pair cannot see each other's items, so this one does not exist.
    IF NOT FOUND OR o_creator_id = ANY (p_blocked) THEN
        RAISE EXCEPTION USING ERRCODE = 'DDREF', MESSAGE = 'not_found';
    END IF;
    IF o_creator_id = p_buyer_id THEN
        RAISE EXCEPTION USING ERRCODE = 'DDREF', MESSAGE = 'own_item';
    END IF;
    IF v_pricing <> 'one_time' OR coalesce(o_price, 0) <= 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'DDREF', MESSAGE = 'not_for_sale';
    END IF;
    IF p_expected_price IS NOT NULL AND p_expected_price <> o_price THEN
        RAISE EXCEPTION USING ERRCODE = 'DDREF', MESSAGE = 'price_changed';
    END IF;
    v_seller_code := 'user:' || o_creator_id || ':earnings';

    -- The buyer's accounts locked in id order, each with whether it has balance shards; the
    -- seller's earnings and the fee account read without a lock (they only receive). Missing
    -- accounts are created (ON CONFLICT: safe under concurrency), then read again.
    LOOP
        v_credit_id := NULL;
        v_earnings_id := NULL;
        FOR r IN
            SELECT a.id, a.code, a.balance_cents,
                   EXISTS (SELECT 1 FROM ledger_balance_shards s WHERE s.account_id = a.id) AS has_shards
              FROM ledger_accounts a
             WHERE a.code IN (v_credit_code, v_earnings_code)
             ORDER BY a.id
               FOR UPDATE OF a
        LOOP
            IF r.code = v_credit_code THEN
                v_credit_id := r.id; v_credit_stored := r.balance_cents; v_credit_shards := r.has_shards;
            ELSE
                v_earnings_id := r.id; v_earnings_stored := r.balance_cents; v_earnings_shards := r.has_shards;
            END IF;
        END LOOP;
        SELECT max(a.id) FILTER (WHERE a.code = v_seller_code),
               max(a.id) FILTER (WHERE a.code = 'system:platform_fees')
          INTO v_seller_id, v_fees_id
          FROM ledger_accounts a
         WHERE a.code IN (v_seller_code, 'system:platform_fees');
        EXIT WHEN v_credit_id IS NOT NULL AND v_earnings_id IS NOT NULL
              AND v_seller_id IS NOT NULL AND v_fees_id IS NOT NULL;
        IF v_created THEN
            RAISE EXCEPTION USING MESSAGE = 'the ledger accounts of purchase of item ' || p_item_id
                                              || ' by user ' || p_buyer_id || ' could not be created';
        END IF;
        INSERT INTO ledger_accounts (code, user_id, kind, balance_cents, created_at)
        VALUES (v_credit_code, p_buyer_id, 'credit', 0, p_created_at),
               (v_earnings_code, p_buyer_id, 'earnings', 0, p_created_at),
               (v_seller_code, o_creator_id, 'earnings', 0, p_created_at),
               ('system:platform_fees', NULL, 'platform_fees', 0, p_created_at)
        ON CONFLICT (code) DO NOTHING;
        v_created := true;
    END LOOP;

    -- Under the locks: what sales left in the buyer's shards moves back into the accounts'
    -- own balances, so the funds check sees the whole balance.
    o_credit_left := v_credit_stored;
    o_earnings_left := v_earnings_stored;
    IF v_credit_shards THEN
        WITH folded AS (DELETE FROM ledger_balance_shards s WHERE s.account_id = v_credit_id
                        RETURNING s.balance_cents)
        SELECT coalesce(sum(folded.balance_cents), 0) INTO v_folded FROM folded;
        o_credit_left := o_credit_left + v_folded;
    END IF;
    IF v_earnings_shards THEN
        WITH folded AS (DELETE FROM ledger_balance_shards s WHERE s.account_id = v_earnings_id
                        RETURNING s.balance_cents)
        SELECT coalesce(sum(folded.balance_cents), 0) INTO v_folded FROM folded;
        o_earnings_left := o_earnings_left + v_folded;
    END IF;

    -- The entitlement, on the unique index of active entitlements: a double click (or an
    -- item already owned) finds it and the whole purchase rolls back.
    o_purchase_id := nextval('purchases_id_seq');
    INSERT INTO entitlements (user_id, item_id, source, purchase_id, created_at)
    VALUES (p_buyer_id, p_item_id, 'purchase', o_purchase_id, p_created_at)
    ON CONFLICT (user_id, item_id) WHERE revoked_at IS NULL DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'DDREF', MESSAGE = 'already_owned';
    END IF;

    -- Credit first, then earnings; the seller gets the price less the platform fee.
    o_from_credit := least(o_price, o_credit_left);
    IF o_earnings_left < o_price - o_from_credit THEN
        RAISE EXCEPTION USING ERRCODE = 'DDREF', MESSAGE = 'insufficient_funds';
    END IF;
    o_fee := o_price * p_fee_bps / 10000;
    o_credit_left := o_credit_left - o_from_credit;
    o_earnings_left := o_earnings_left - (o_price - o_from_credit);

    INSERT INTO ledger_transactions (kind, idempotency_key, memo, created_at)
    VALUES ('purchase', 'purchase:' || o_purchase_id, 'Bought “' || left(o_title, 200) || '”', p_created_at)
    RETURNING id INTO o_transaction_id;
    INSERT INTO purchases (id, buyer_id, item_id, creator_id, price_cents, fee_cents, from_credit_cents,
                           from_earnings_cents, status, transaction_id, created_at)
    VALUES (o_purchase_id, p_buyer_id, p_item_id, o_creator_id, o_price, o_fee, o_from_credit,
            o_price - o_from_credit, 'paid', o_transaction_id, p_created_at);
    -- The legs that move money (a zero leg writes no entry); they sum to zero.
    INSERT INTO ledger_entries (transaction_id, account_id, amount_cents)
    SELECT o_transaction_id, leg.account_id, leg.amount
      FROM (VALUES (1, v_credit_id, -o_from_credit), (2, v_earnings_id, -(o_price - o_from_credit)),
                   (3, v_seller_id, o_price - o_fee), (4, v_fees_id, o_fee)) AS leg (n, account_id, amount)
     WHERE leg.amount <> 0
     ORDER BY leg.n;

    -- The buyer's balances that moved (or took in their shards), in id order; then the
    -- seller's money into one of their balance shards.
    IF v_credit_id < v_earnings_id THEN
        IF o_credit_left <> v_credit_stored THEN
            UPDATE ledger_accounts SET balance_cents = o_credit_left WHERE id = v_credit_id;
        END IF;
        IF o_earnings_left <> v_earnings_stored THEN
            UPDATE ledger_accounts SET balance_cents = o_earnings_left WHERE id = v_earnings_id;
        END IF;
    ELSE
        IF o_earnings_left <> v_earnings_stored THEN
            UPDATE ledger_accounts SET balance_cents = o_earnings_left WHERE id = v_earnings_id;
        END IF;
        IF o_credit_left <> v_credit_stored THEN
            UPDATE ledger_accounts SET balance_cents = o_credit_left WHERE id = v_credit_id;
        END IF;
    END IF;
    IF o_price - o_fee <> 0 THEN
        INSERT INTO ledger_balance_shards (account_id, shard, balance_cents)
        VALUES (v_seller_id, p_shard, o_price - o_fee)
        ON CONFLICT (account_id, shard) DO UPDATE
        SET balance_cents = ledger_balance_shards.balance_cents + excluded.balance_cents;
    END IF;
END
$fn$
"""

DROP_PURCHASE_FUNCTION = (
    "DROP FUNCTION IF EXISTS dd_purchase_item(bigint, bigint, bigint, bigint, timestamp, integer, bigint[])"
)


def install(table: sa.Table) -> None:
    """Create the function whenever `table` (of the items bind) is created."""
    sa.event.listen(table, "after_create", sa.DDL(PURCHASE_FUNCTION))
