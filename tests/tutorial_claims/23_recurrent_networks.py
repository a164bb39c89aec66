"""Claims that tutorials/23_recurrent_networks.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # the loop by hand is the layer
    (r"^5 steps by hand vs SimpleRNN.forward: max difference (\S+)$", below(1e-12)),
    (r"^one LSTM step by hand vs LSTM.forward: max difference (\S+)$", below(1e-12)),
    (r"^parameters for n_in = 3, H = 4: SimpleRNN 32, LSTM 128 \(= 4 x 32\)$", present),
    # the corpus: half word-order headlines, none cut at T = 14; a swapped pair has the same words
    (r"^2000 headlines \(1000 of them word-order\), vocabulary of \d+ tokens, longest (\d+) words$",
     lambda m: int(m[1]) <= 14),
    (r"^'stray dog bites area man' and 'area man bites stray dog': same words True$", present),
    # the bag solves the xor part and stays near chance on the order part; the LSTM solves both
    (r"^bag of embeddings test accuracy ([\d.]+): xor headlines ([\d.]+), word-order headlines "
     r"([\d.]+)$", lambda m: float(m[2]) > 0.9 and 0.35 < float(m[3]) < 0.65),
    (r"^LSTM\s+test accuracy ([\d.]+): xor headlines ([\d.]+), word-order headlines ([\d.]+)$",
     lambda m: float(m[2]) > 0.9 and float(m[3]) > 0.95),
    (r"^1  LSTM\[1\]\s+\(N, 16\)\s+1,600 ", present),              # 4 (8*16 + 16*16 + 16)
    (r"^total params: 2,922$", present),
    # the bag gives a headline and its swap the same output; the LSTM tells them apart
    (r"^bag of embeddings P\(satire\): 'stray dog bites area man' ([\d.]+), "
     r"'area man bites stray dog' ([\d.]+)$", lambda m: m[1] == m[2]),
    (r"^LSTM\s+P\(satire\): 'stray dog bites area man' ([\d.]+), 'area man bites stray dog' "
     r"([\d.]+)$", lambda m: float(m[1]) < 0.1 and float(m[2]) > 0.9),
    # the mask makes the padding length irrelevant; without it the answers change
    (r"^10 more padding ids change the LSTM's probabilities by at most (\S+) with the mask, "
     r"([\d.]+) without it$", lambda m: float(m[1]) < 1e-12 and float(m[2]) > 1e-3),
    # person and animal words separate in the learned embedding
    (r"^person and animal words whose nearest neighbour is in their own group \(\d+ words\): "
     r"before training ([\d.]+), after ([\d.]+)$",
     lambda m: float(m[2]) > 0.9 and float(m[2]) > float(m[1]) + 0.3),
    (r"^the first two directions hold ([\d.]+) of the embedding's variance$",
     lambda m: float(m[1]) > 0.5),
    (r"^saved figure: (.+23_embedding_map\.png)$", file_exists),
    (r"^saved figure: (.+23_accuracy\.png)$", file_exists),
]
