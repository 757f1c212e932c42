-- Sample data for `make demo`: a small shop with a foreign key, a composite key,
-- decimals, fractional timestamps, NULLs and utf8mb4 text.
CREATE DATABASE shop;
USE shop;

CREATE TABLE customers (
  id      INT UNSIGNED PRIMARY KEY,
  name    VARCHAR(100) NOT NULL,
  city    VARCHAR(50),
  joined  DATETIME(6) NOT NULL
) DEFAULT CHARSET = utf8mb4;

CREATE TABLE products (
  sku    VARCHAR(20) PRIMARY KEY,
  title  VARCHAR(200) NOT NULL,
  price  DECIMAL(10, 2) NOT NULL
) DEFAULT CHARSET = utf8mb4;

CREATE TABLE orders (
  id           BIGINT PRIMARY KEY,
  customer_id  INT UNSIGNED NOT NULL,
  placed_at    TIMESTAMP(3) NOT NULL,
  status       ENUM('new', 'paid', 'shipped') NOT NULL,
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) DEFAULT CHARSET = utf8mb4;

CREATE TABLE order_items (
  order_id  BIGINT NOT NULL,
  line      SMALLINT NOT NULL,
  sku       VARCHAR(20) NOT NULL,
  quantity  INT NOT NULL,
  PRIMARY KEY (order_id, line),
  CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders (id)
) DEFAULT CHARSET = utf8mb4;

INSERT INTO customers
SELECT seq, CONCAT('Customer ', seq), ELT(1 + seq % 4, 'Hangzhou', 'Zürich', 'São Paulo', NULL),
       '2025-01-01 08:00:00.000000' + INTERVAL seq MINUTE + INTERVAL seq MICROSECOND
FROM seq_1_to_2000;

INSERT INTO products VALUES
  ('TEA-001', 'Longjing green tea 🍵', 18.50),
  ('CUP-002', 'Celadon cup', 12.00),
  ('POT-003', 'Yixing clay teapot', 89.90);

INSERT INTO orders
SELECT seq, 1 + seq % 2000, '2025-06-01 00:00:00.000' + INTERVAL seq SECOND, ELT(1 + seq % 3, 'new', 'paid', 'shipped')
FROM seq_1_to_5000;

INSERT INTO order_items
SELECT o.id, l.seq, ELT(1 + (o.id + l.seq) % 3, 'TEA-001', 'CUP-002', 'POT-003'), 1 + (o.id * l.seq) % 5
FROM orders o JOIN seq_1_to_3 l ON l.seq <= 1 + o.id % 3;
