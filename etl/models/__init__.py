"""Text classifiers and their training (layer 3): the hashed n-gram classifier, labelled data, thresholds, and the
text normalisation and windows they share with silver, which only scores with what is trained here."""
