CREATE TABLE `dw`.`events` (
  `event_id` bigint NOT NULL COMMENT '',
  `event_time` timestamp NOT NULL COMMENT '',
  `user_id` varchar(64) NOT NULL COMMENT 'u',
  `body` varchar(1024) COMMENT 'text, (searchable)',
  PRIMARY KEY (`event_time`, `event_id`),
  KEY `idx_user` (`user_id`),
  CLUSTERED KEY `ck_user` (`user_id` DESC),
  FULLTEXT INDEX `ft_body` (`body`) WITH ANALYZER standard COMMENT 'ft'
) DISTRIBUTED BY HASH(`event_id`) PARTITION BY VALUE(DATE_FORMAT(`event_time`, '%Y%m%d')) LIFECYCLE 30 INDEX_ALL='Y' STORAGE_POLICY='HOT' ENGINE='XUANWU' BLOCK_SIZE=8192 TABLE_PROPERTIES='{"format":"columnstore"}' BINLOG=true COMMENT='events, (raw)';
