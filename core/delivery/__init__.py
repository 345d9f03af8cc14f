"""Everything that leaves the system, always through the outbox (`outbox`: queued in the
caller's transaction, delivered with leases, retries and dead letters): subscribe messages to
residents (`subscriptions`), the WeChat and WeCom clients that honour `*_API_BASE`
(`wechat`), the communities' chat groups (`groups`) and pushes through their robots
(`robot`: text with @, markdown, images, split to the robot's limits)."""
