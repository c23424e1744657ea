"""Protocol buffer sources and the modules grpcio-tools generates from them (``make protos``)."""
