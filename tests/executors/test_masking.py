from executors.masking import MASK, SecretMasker, mask_all


def collect(secrets, pieces):
    out = []
    masker = SecretMasker(lambda s, t: out.append((s, t)), secrets)
    for stream, text in pieces:
        masker(stream, text)
    masker.flush()
    return "".join(t for _, t in out), out


def test_a_secret_in_a_line_is_masked():
    text, _ = collect(["hunter2-password"], [("stdout", "login with hunter2-password ok\n")])
    assert text == f"login with {MASK} ok\n"


def test_a_secret_split_across_emits_is_still_masked():
    pieces = [("stdout", "token=AKIA1234"), ("stdout", "5678SECRET and more"), ("stdout", "\n")]
    text, _ = collect(["AKIA12345678SECRET"], pieces)
    assert text == f"token={MASK} and more\n"
    assert "AKIA" not in text


def test_every_split_point_is_masked():
    secret = "s3cr3t-v4lue-xyz"
    line = f"a {secret} b\n"
    for cut in range(len(line)):
        text, _ = collect([secret], [("stdout", line[:cut]), ("stdout", line[cut:])])
        assert text == f"a {MASK} b\n", cut


def test_streams_are_held_apart():
    text, out = collect(
        ["topsecret"], [("stdout", "top"), ("stderr", "err\n"), ("stdout", "secret\n")]
    )
    assert out[-1] == ("stdout", f"{MASK}\n")
    assert ("stderr", "err\n") in out


def test_each_line_of_a_private_key_is_masked():
    key = "-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQAB\n-----END KEY-----"
    text, _ = collect([key], [("stdout", "AAAAB3NzaC1yc2EAAAADAQAB\n")])
    assert text == f"{MASK}\n"


def test_text_without_secrets_passes_through_unchanged():
    text, out = collect([], [("stdout", "plain"), ("stdout", " text\n")])
    assert out == [("stdout", "plain"), ("stdout", " text\n")]


def test_mask_all_masks_complete_text_at_once_without_holding_anything_back():
    assert mask_all(
        "key:\nline-one-of-key\nline-two-of-key\nend", ["line-one-of-key\nline-two-of-key"]
    ) == (f"key:\n{MASK}\n{MASK}\nend")
