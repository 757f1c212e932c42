CREATE TABLE `shop`.`regions` (
  `region_id` int NOT NULL,
  `name` varchar(64) NOT NULL,
  PRIMARY KEY (`region_id`)
) DISTRIBUTED BY BROADCAST COMMENT='lookup';
