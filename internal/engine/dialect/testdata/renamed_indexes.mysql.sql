CREATE TABLE `crm`.`people` (
  `user_id` int(11) NOT NULL,
  `full_name` varchar(200) NOT NULL,
  `mail` varchar(200) DEFAULT NULL,
  `created_at` datetime NOT NULL,
  PRIMARY KEY (`user_id`),
  UNIQUE KEY `uk_mail` (`mail`),
  KEY `idx_name_created` (`full_name`(10), `created_at` DESC) USING BTREE COMMENT 'by name, (then) date',
  KEY `idx_simple` (`mail`, `full_name`),
  KEY `idx_lower` ((lower(`full_name`))),
  CONSTRAINT `chk_mail` CHECK (`mail` like '%@%' and `full_name` <> '`email`')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
