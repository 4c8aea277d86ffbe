-- Purchase order headers for a batch of PO numbers.
-- Parameters: :po_numbers (a list, expanded to IN (...)).
-- Columns (contract): po_number, vendor_id, currency, status ('open'|'closed'|'cancelled'|'on_hold'), po_date.
SELECT
    h.po_number      AS po_number,
    h.vendor_id      AS vendor_id,
    h.currency_code  AS currency,
    CASE h.po_status
        WHEN 'O' THEN 'open'
        WHEN 'C' THEN 'closed'
        WHEN 'X' THEN 'cancelled'
        WHEN 'H' THEN 'on_hold'
    END              AS status,
    h.po_date        AS po_date
FROM po_header h
WHERE h.po_number IN :po_numbers
