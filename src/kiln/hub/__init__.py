"""The hub: the XML-RPC server and the only component with database access."""
