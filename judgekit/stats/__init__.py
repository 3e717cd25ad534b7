"""Statistics over judgments: pure functions of arrays, each tested against an independent computation."""
