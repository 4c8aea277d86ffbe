-- AP invoices already entered in the ERP for a batch of vendors, for duplicate checks.
-- Parameters: :vendor_ids (a list, expanded to IN (...)), :since (date: oldest invoice date wanted).
-- Columns (contract): erp_document_id, vendor_id, invoice_number, invoice_date, po_number (may be NULL),
--   currency, total.
SELECT
    a.ap_doc_id          AS erp_document_id,
    a.vendor_id          AS vendor_id,
    a.vendor_invoice_no  AS invoice_number,
    a.invoice_date       AS invoice_date,
    a.po_number          AS po_number,
    a.currency_code      AS currency,
    a.invoice_total      AS total
FROM ap_invoice a
WHERE a.vendor_id IN :vendor_ids
  AND a.invoice_date >= :since
