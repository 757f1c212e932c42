CREATE TABLE `shop_dw`.`orders_2027` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `code` varchar(20) NOT NULL,
  `total` decimal(12,2) DEFAULT 0.00 COMMENT 'gross',
  `note` varchar(65535),
  PRIMARY KEY (`id`),
  KEY `code` (`code`),
  KEY `by_note` (`note`),
  KEY `total` (`total`)
) DISTRIBUTED BY HASH(`id`) COMMENT = 'orders of 2027';
