"""The quarter close (季度报送、审核、锁定): townships submit a quarter, the county approves it, the
quarter's records lock, the county's figures freeze, changes go through correction requests."""
