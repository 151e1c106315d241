"""Quality evaluations on labelled folders (`likeness eval`)."""
