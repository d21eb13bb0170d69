"""Places: adcode rules (regions, the only place that knows an adcode's levels), names and
search (places), boundary layers and GCJ-02 (geo), the 2020 census per county (census)."""
