"""What every kiln component shares: the wire codec, faults and constants."""
