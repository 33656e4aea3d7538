"""Demo records of this domain (registered with casework.demo.loader)."""
