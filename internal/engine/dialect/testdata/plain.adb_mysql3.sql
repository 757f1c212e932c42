CREATE TABLE `shop`.`customers` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `name` varchar(100) NOT NULL DEFAULT 'a,)b',
  `created` datetime DEFAULT current_timestamp(),
  PRIMARY KEY (`id`),
  KEY `idx_name` (`name`)
) DISTRIBUTED BY HASH(`id`) COMMENT='plain, (table)';
