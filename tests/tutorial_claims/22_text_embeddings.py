"""Claims that tutorials/22_text_embeddings.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    (r"^vocabulary: \['', '\[UNK\]', 'cats', 'i', 'like', 'and', 'dogs'\]$", present),
    (r"^'I like cats'\s+-> \[3, 4, 2, 0, 0, 0\]$", present),          # padded with 0
    (r"^'I like birds'\s+-> \[3, 4, 1, 0, 0, 0\]$", present),         # unknown word is 1
    (r"^one-hot of .*: shape \(1, 6, 7\); distances between distinct words: \[1\.414214\]$",
     present),
    (r"^embedding lookup equals one-hot @ W: True; padding positions give \[0\.0, 0\.0, 0\.0\]$",
     present),
    (r"^2000 headlines, vocabulary of \d+ tokens, satire share 0\.50$", present),
    # no keyword gives the label away: every word's satire share is near one half
    (r"^share of satire among headlines with the word: area ([\d.]+), senate ([\d.]+), "
     r"adopts ([\d.]+), budget ([\d.]+)$",
     lambda m: all(0.35 < float(g) < 0.65 for g in m.groups())),
    # a linear model of the averaged vectors stays near chance; a hidden layer solves it
    (r"^linear\s+test accuracy after \d+ epochs: ([\d.]+)$", lambda m: float(m[1]) < 0.65),
    (r"^hidden layer test accuracy after \d+ epochs: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    (r"^total params: 1,258$", present),
    (r"^2-D embedding with a hidden layer: test accuracy ([\d.]+)$", lambda m: float(m[1]) > 0.9),
    (r"^words whose nearest neighbour is in their own group \(\d+ words\): before training "
     r"([\d.]+), after ([\d.]+)$", lambda m: float(m[2]) > 0.6 and float(m[2]) > float(m[1]) + 0.3),
    (r"^saved figure: (.+22_embedding_map\.png)$", file_exists),
    (r"^saved figure: (.+22_accuracy\.png)$", file_exists),
]
