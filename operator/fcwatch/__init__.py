"""fcwatch: mirror Alibaba Cloud Function Compute ListInstances into Kubernetes status."""

__version__ = "0.1.0"
