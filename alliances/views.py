from wenshang.portal import ModelViews  # noqa: F401  (this app's views are declared here)
