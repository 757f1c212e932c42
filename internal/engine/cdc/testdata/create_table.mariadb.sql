CREATE TABLE `shop_dw`.`orders_2027` (
  `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  `code` VARCHAR(20) NOT NULL,
  `total` DECIMAL(12,2) DEFAULT 0.00 COMMENT 'gross',
  `note` TEXT,
  PRIMARY KEY (`id`),
  UNIQUE KEY `code` (`code`),
  KEY `by_note` (`note`(16)),
  KEY `total` (`total` DESC)
) ENGINE = InnoDB DEFAULT CHARACTER SET = UTF8MB4 COMMENT = 'orders of 2027';
