CREATE TABLE `crm`.`people` (
  `user_id` int(11) NOT NULL,
  `full_name` varchar(200) NOT NULL,
  `mail` varchar(200) DEFAULT NULL,
  `created_at` datetime NOT NULL,
  PRIMARY KEY (`user_id`),
  KEY `uk_mail` (`mail`),
  KEY `idx_name_created` (`full_name`(10), `created_at` DESC) COMMENT 'by name, (then) date',
  KEY `idx_simple` (`mail`, `full_name`),
  KEY `idx_lower` ((lower(`full_name`)))
) DISTRIBUTED BY HASH(`user_id`);
