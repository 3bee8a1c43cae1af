"""The arrangement (统筹安排): versioned placement runs and what follows from them."""
