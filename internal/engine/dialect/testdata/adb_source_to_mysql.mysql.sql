CREATE TABLE `dw`.`events` (
  `event_id` bigint NOT NULL COMMENT '',
  `event_time` timestamp NOT NULL COMMENT '',
  `user_id` varchar(64) NOT NULL COMMENT 'u',
  `body` varchar(1024) COMMENT 'text, (searchable)',
  PRIMARY KEY (`event_time`, `event_id`),
  KEY `idx_user` (`user_id`),
  FULLTEXT KEY `ft_body` (`body`) COMMENT 'ft'
) COMMENT='events, (raw)';
