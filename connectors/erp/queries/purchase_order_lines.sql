-- Purchase order lines for a batch of PO numbers.
-- Parameters: :po_numbers (a list, expanded to IN (...)).
-- Columns (contract): po_number, line_no, part_number, erp_item_id, description, uom,
--   ordered_qty, received_qty (NULL when receipts are not tracked), invoiced_qty, unit_price.
SELECT
    l.po_number     AS po_number,
    l.po_line_no    AS line_no,
    l.part_number   AS part_number,
    l.item_id       AS erp_item_id,
    l.description   AS description,
    l.uom           AS uom,
    l.qty_ordered   AS ordered_qty,
    l.qty_received  AS received_qty,
    l.qty_invoiced  AS invoiced_qty,
    l.unit_cost     AS unit_price
FROM po_line l
WHERE l.po_number IN :po_numbers
ORDER BY l.po_number, l.po_line_no
