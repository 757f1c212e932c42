CREATE TABLE `shop`.`sales` (
  `sale_id` bigint NOT NULL,
  `sale_time` datetime NOT NULL,
  `customer_id` varchar(32) NOT NULL COMMENT 'who, (buyer)',
  `amount` decimal(12,2) NOT NULL DEFAULT '0.00',
  PRIMARY KEY (`sale_time`, `sale_id`),
  KEY `idx_customer` (`customer_id`)
) DISTRIBUTED BY HASH(`sale_time`, `sale_id`) PARTITION BY VALUE(DATE_FORMAT(`sale_time`, '%Y'));
