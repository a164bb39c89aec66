"""Claims that tutorials/28_attention.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # attention by hand: rows sum to 1, token 0 looks most at its best-matching key, = the kernel
    (r"^row sums of A: \[1\. 1\. 1\.\]$", present),
    (r"^token 0's largest weight is on token 0 \(q_0 \. k_0 = 2 is its largest score\)$", present),
    (r"^max \|O by hand - attention_reference\.forward\|: (\S+)$", below(1e-12)),
    # backward: compact = Jacobian version; gradcheck passes plain, masked, causal
    (r"^max \|compact backward - Jacobian backward\| over dQ, dK, dV: (\S+)$", below(1e-12)),
    (r"^gradcheck MultiHeadSelfAttention, plain: PASS, max error (\S+)$", below(1e-5)),
    (r"^gradcheck MultiHeadSelfAttention, padding mask: PASS, max error (\S+)$", below(1e-5)),
    (r"^gradcheck MultiHeadSelfAttention, causal: PASS, max error (\S+)$", below(1e-5)),
    # padding: no weight on padded keys, real positions unmoved; all-padding row: 0 weights, bo
    (r"^largest weight on a padded key: (\S+)$", lambda m: float(m[1]) == 0.0),
    (r"^max change at real positions when the padding changes: (\S+)$", below(1e-12)),
    (r"^softmax of an all -inf row, written naively: (\d) NaN of 4; ours: (\d+) NaN, weights sum "
     r"(\S+), max \|y - bo\| (\S+)$",
     lambda m: m[1] == "4" and m[2] == "0" and float(m[3]) == 0 and float(m[4]) < 1e-12),
    # causal: outputs up to t never move when later tokens change; later ones do; no mask leaks
    (r"^tokens after t = 3 changed; causal: max change of outputs 0\.\.3 = (\S+), of outputs "
     r"4\.\.7 = (\S+) or more$", lambda m: float(m[1]) == 0.0 and float(m[2]) > 0.01),
    (r"^without the causal mask: max change of outputs 0\.\.3 = (\S+)$",
     lambda m: float(m[1]) > 0.01),
    (r"^for every t in 0\.\.7: the output at t does not change when tokens after t change "
     r"\(largest change 0\.0\)$", present),
    (r"^causal weights above the diagonal: (\S+)$", lambda m: float(m[1]) == 0.0),
    # permutation equivariance without positions, broken with them
    (r"^without positions: max \|attn\(x shuffled\) - attn\(x\) shuffled\| = (\S+)$", below(1e-12)),
    (r"^with positional encoding: max \|attn\(PE\(x shuffled\)\) - attn\(PE\(x\)\) shuffled\| = "
     r"(\S+)$", lambda m: float(m[1]) > 0.1),
    # reversal: chance before, learned after; the attention sits on the mirrored position
    (r"^reversal: test accuracy per token (\S+) before training \(chance 0\.1\), (\S+) after \d+ "
     r"steps; loss (\S+) -> (\S+)$",
     lambda m: float(m[1]) < 0.2 and float(m[2]) > 0.95 and float(m[4]) < 0.1 * float(m[3])),
    (r"^mean weight on the mirrored position 7 - t: (\S+) after training \(uniform attention: "
     r"0\.125\); on its two neighbours together: (\S+)$",
     lambda m: float(m[1]) > 0.4 and float(m[1]) + float(m[2]) > 0.8),
    (r"^whole test sequences reversed exactly: (\S+)$", lambda m: float(m[1]) > 0.8),
    (r"^on this sequence, the mirrored key is the most attended in (\d+) of 16 rows",
     lambda m: int(m[1]) >= 14),
    (r"^saved figure: (.+28_reversal_training\.png)$", file_exists),
    (r"^saved figure: (.+28_attention_maps\.png)$", file_exists),
    # the block: parameter formula, dropout in train mode only, gradcheck in both modes
    (r"^block parameters ([\d,]+), by the formula ([\d,]+)$", lambda m: m[1] == m[2]),
    (r"^0\.0\.0\.0 +MultiHeadSelfAttention", present),
    (r"^0\.2\.0\.0\.0\.0 +Dense", present),
    (r"^train mode, two forwards: max difference (\S+) \(dropout draws new masks\)$",
     lambda m: float(m[1]) > 0.01),
    (r"^eval mode, two forwards: max difference (\S+)$", lambda m: float(m[1]) == 0.0),
    (r"^gradcheck TransformerEncoderBlock, train mode \(dropout reseeded\), padding mask: PASS, "
     r"max error (\S+)$", below(1e-5)),
    (r"^gradcheck TransformerEncoderBlock, eval mode: PASS, max error (\S+)$", below(1e-5)),
]
