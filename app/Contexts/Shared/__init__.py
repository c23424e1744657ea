"""The shared kernel: what every bounded context of this service uses."""
