CREATE TABLE `shop`.`lines` (
  `id` int NOT NULL,
  `price` decimal(10,2) NOT NULL,
  `qty` int NOT NULL,
  `total` decimal(12,2) GENERATED ALWAYS AS (`price` * `qty`) STORED,
  `label` varchar(50) GENERATED ALWAYS AS (concat('#', `id`, ', (x)')) VIRTUAL,
  PRIMARY KEY (`id`),
  KEY `idx_total` (`total`)
) DISTRIBUTED BY HASH(`id`);
