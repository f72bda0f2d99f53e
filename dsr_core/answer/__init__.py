"""The subject's answer (Art. 12(1), 12(3)): the letter for each kind of request, in nl, en
and fr, and its delivery by e-mail, on paper or in person."""
