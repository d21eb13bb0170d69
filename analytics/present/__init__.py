"""Results as the reader sees them on screen: view state and URL (state), localised tables
(display), the map's layers and metrics (maps, raster, explore), the county profile, charts, fonts."""
