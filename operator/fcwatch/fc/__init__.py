"""Alibaba Cloud Function Compute: signing, ListInstances client, credentials, simulator."""
