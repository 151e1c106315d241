"""What the studio tries when the review refuses a render: a skin tone changed beyond
the light is the studio's own colour work, so the same framing with a gentler white
balance comes first, then without the fill light; framings follow; a card's
correction is measured and kept."""

from __future__ import annotations

from dataclasses import replace

from likeness.studio.options import StudioSettings
from likeness.studio.session import WB_RETRY, retry_settings


def test_a_skin_tone_refusal_tries_a_gentler_white_balance_first():
    st = StudioSettings.resolve(look="corporate-grey", frame="headshot")
    tries = retry_settings(st, frozenset({"skin_tone"}))
    first, note = tries[0]
    assert first.preset == st.preset  # the same framing
    assert first.look.light.white_balance == round(st.look.light.white_balance * WB_RETRY, 3)
    assert first.look.backdrop == st.look.backdrop and first.look.grade == st.look.grade
    assert "white balance" in note
    # then the same framing without the fill light, at the Look's own white balance
    flat, note = tries[1]
    assert flat.preset == st.preset and flat.look.light.fill == 0.0 < st.look.light.fill
    assert flat.look.light.white_balance == st.look.light.white_balance and "fill light" in note
    # then the framings, at the Look's own light
    assert [t.look.light for t, _ in tries[2:]] == [st.look.light] * (len(tries) - 2)
    assert any(t.preset.head > st.preset.head for t, _ in tries[2:])


def test_no_fill_retry_where_the_look_has_no_fill():
    st = StudioSettings.resolve(look="corporate-grey", frame="headshot")
    unlit = replace(st, look=replace(st.look, light=replace(st.look.light, fill=0.0)))
    tries = retry_settings(unlit, frozenset({"skin_tone"}))
    assert [t.look.light.fill for t, _ in tries] == [0.0] * len(tries)
    assert len(tries) == len(retry_settings(st, frozenset({"skin_tone"}))) - 1


def test_other_refusals_and_a_card_keep_the_white_balance():
    st = StudioSettings.resolve(look="corporate-grey", frame="headshot")
    plain = retry_settings(st, frozenset({"islands"}))
    assert all(t.look.light.white_balance == st.look.light.white_balance for t, _ in plain)
    assert plain == retry_settings(st)  # nothing failed named: the framings only
    carded = replace(st, look=replace(st.look, light=replace(st.look.light, card=(1.1, 1.0, 0.9))))
    kept = retry_settings(carded, frozenset({"skin_tone"}))
    assert all(t.look.light.white_balance == carded.look.light.white_balance
               and t.look.light.card == carded.look.light.card for t, _ in kept)
    assert kept[0][0].look.light.fill == 0.0  # the fill is a light, not the card's measure
    strict = StudioSettings.resolve(look="corporate-grey", frame="id-35x45")
    assert retry_settings(strict) == []  # an ID photo has one framing
    assert [t.preset for t, _ in retry_settings(strict, frozenset({"skin_tone"}))] == [strict.preset] * 2
