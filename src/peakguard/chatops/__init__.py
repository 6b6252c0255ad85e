"""Acting on incidents from DingTalk, WeCom (企业微信) and Feishu (飞书) (issue 17): signed
callbacks, chat commands and the buttons outgoing messages carry."""
