REPLACE INTO `shop`.`orders` (`id`, `total`, `we``ird`) VALUES (?,?,?);
REPLACE INTO `shop`.`orders` (`id`, `total`, `we``ird`) VALUES (?,?,?), (?,?,?), (?,?,?);
DELETE FROM `shop`.`orders` WHERE (`id` = ?) OR (`id` = ?);
DELETE FROM `shop`.`order_lines` WHERE (`order_id` = ? AND `line` = ?) OR (`order_id` = ? AND `line` = ?);
ALTER TABLE `shop`.`orders` ADD COLUMN `note` varchar(20) DEFAULT NULL;
ALTER TABLE `shop`.`orders` ADD COLUMN `code` int(11) NOT NULL DEFAULT 0 FIRST;
ALTER TABLE `shop`.`orders` ADD COLUMN `label` varchar(10) AFTER `total`;
ALTER TABLE `shop`.`orders` DROP COLUMN `note`;
