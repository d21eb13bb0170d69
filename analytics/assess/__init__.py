"""The official method and what is measured against it: the criteria file (criteria), the
assessment (balance), gap-to-standard plans (gap), metrics, target plans and progress."""
