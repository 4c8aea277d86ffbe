-- Vendor master records for a batch of vendor ids.
-- Parameters: :vendor_ids (a list, expanded to IN (...)).
-- Columns (contract): vendor_id, name, currency (may be NULL), active (1 or 0).
SELECT
    v.vendor_id      AS vendor_id,
    v.vendor_name    AS name,
    v.currency_code  AS currency,
    CASE WHEN v.is_active = 'Y' THEN 1 ELSE 0 END AS active
FROM vendor v
WHERE v.vendor_id IN :vendor_ids
