CREATE TABLE `crm`.`people` (
  `user_id` int NOT NULL,
  `full_name` varchar(200) NOT NULL,
  `mail` varchar(200) DEFAULT NULL,
  `created_at` datetime NOT NULL,
  PRIMARY KEY (`user_id`),
  KEY `uk_mail` (`mail`),
  KEY `idx_name_created_full_name` (`full_name`) COMMENT 'by name, (then) date',
  KEY `idx_name_created_created_at` (`created_at`) COMMENT 'by name, (then) date'
) DISTRIBUTED BY HASH(`user_id`);
