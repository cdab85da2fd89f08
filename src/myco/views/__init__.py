"""View renderers: what each session sees before every prompt."""
