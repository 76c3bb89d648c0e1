from bot.article import parse_article
from bot.text_tables import box_rows, is_box_table, is_table


def test_a_table_is_read_a_row_at_a_time_with_its_wrapped_cells() -> None:
    document = parse_article(
        "Files\n\n"
        "    AUTHORS       =>  List of contributing authors\n"
        "    README        =>  This file\n"
        "    gregbook/     =>  Source code for reading, from\n"
        "                      the Definitive Guide, 1999\n"
        "    png.5         =>  Manual page for the PNG format\n\n"
        "Prose follows.  It has two spaces after its stops.  And no columns at all.\n"
    )
    texts = [s.text for s in document.sentences]
    assert "AUTHORS       =>  List of contributing authors" in texts
    assert any(
        t.startswith("gregbook/") and t.endswith("the Definitive Guide, 1999") for t in texts
    )
    assert "Prose follows." in texts


def test_a_drawn_table_is_read_a_row_at_a_time() -> None:
    document = parse_article(
        "Opcodes\n\n"
        "┌──────────────┬────────┐\n"
        "│Packet Name   │Encoding│\n"
        "├──────────────┼────────┤\n"
        "│BroadcastQuery│1       │\n"
        "├──────────────┼────────┤\n"
        "│Query         │2       │\n"
        "├──────────────┼────────┤\n"
        "│IndirectQuery │3       │\n"
        "└──────────────┴────────┘\n\n"
        "Packet opcodes are 16-bit integers.\n"
    )
    texts = [s.text for s in document.sentences]
    # every line as long as the others, it was read as one wrapped sentence of the table
    assert "│Query         │2       │" in texts
    assert not any("┼" in t for t in texts)  # rules are not sentences
    assert "Packet opcodes are 16-bit integers." in texts


def test_a_few_lines_or_prose_are_no_table() -> None:
    prose = "One line.\nTwo lines here.\nThree lines of prose."
    lines = [(0, 9), (10, 25), (26, 47)]
    assert not is_table(prose, lines) and not is_box_table(prose, lines)
    drawn = "┌──┐\n│a │\n├──┤\n│b │\n└──┘"
    spans = [(0, 4), (5, 9), (10, 14), (15, 19), (20, 24)]
    assert is_box_table(drawn, spans)
    assert [drawn[a:b] for a, b in box_rows(drawn, spans)] == ["│a │", "│b │"]
