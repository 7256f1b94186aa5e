"""The word cloud: evaluations/services/cloud.py, and the cloud page's query budget."""

import io
import itertools
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from PIL import Image

from evaluations.enums import WordSource, WordState
from evaluations.models import Word
from evaluations.services import cloud as cloud_module
from evaluations.services.cloud import cloud_png, cloud_svg, layout_cloud
from evaluations.services.words import WordCount, normalise_word

SVG = "{http://www.w3.org/2000/svg}"
SCRIPTS = ["سعادة", "خوشی", "Szczęśliwy", "开心", "😊", "שלום", "नमस्ते"]


def many_counts(total=1000, distinct=200) -> list[WordCount]:
    """``total`` words, ``distinct`` of them different, a few in other scripts, counts from 1 to ~25."""
    vocabulary = [f"word{i}" for i in range(distinct - len(SCRIPTS))] + SCRIPTS
    counts = {word: 1 for word in vocabulary}
    for index in itertools.islice(itertools.cycle(range(distinct)), total - distinct):
        counts[vocabulary[(index * 7) % (distinct // 3 + 1)]] += 1
    result = [WordCount(key=normalise_word(w), word=w, count=c) for w, c in counts.items()]
    return sorted(result, key=lambda wc: (-wc.count, wc.word))


def overlaps(a, b) -> bool:
    return a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]


def test_cloud_svg_for_1000_words_is_valid_svg_with_every_word():
    counts = many_counts()
    assert sum(wc.count for wc in counts) == 1000 and len(counts) == 200
    root = ET.fromstring(cloud_svg(counts, title="Words from the all-day"))  # noqa: S314 -- our own SVG
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text.startswith("Words from the all-day: 1000 words, 200 different.")
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert sorted(texts) == sorted(wc.word for wc in counts)


def test_cloud_layout_places_no_word_over_another():
    cloud = layout_cloud(many_counts())
    for a, b in itertools.combinations(cloud.words, 2):
        assert not overlaps(a.box, b.box), (a.word, b.word)
    for word in cloud.words:
        left, top, right, bottom = word.box
        assert left >= 0 and right <= cloud.width and top >= 0 and bottom <= cloud.height, word.word


def test_cloud_sizes_words_by_how_often_they_were_said():
    counts = [WordCount("hope", "hope", 9), WordCount("calm", "calm", 3), WordCount("odd", "odd", 1)]
    sizes = {word.key: word.size for word in layout_cloud(counts).words}
    assert sizes["hope"] > sizes["calm"] > sizes["odd"]


def test_cloud_is_the_same_picture_every_time():
    counts = many_counts(300, 80)
    assert cloud_svg(counts, title="t") == cloud_svg(list(counts), title="t")
    first = cloud_svg(counts, title="t")
    cloud_module._layout.cache_clear()
    assert cloud_svg(counts, title="t") == first


def test_cloud_svg_chooses_a_noto_font_per_script():
    counts = [WordCount(w, w, 1) for w in ["hope", "سعادة", "خوشی", "开心", "😊"]]
    root = ET.fromstring(cloud_svg(counts, title="t"))  # noqa: S314 -- our own SVG
    families = {element.text: element.get("font-family") for element in root.iter(f"{SVG}text")}
    assert families["hope"].startswith("'Noto Sans'")
    assert families["سعادة"].startswith("'Noto Naskh Arabic'")
    assert families["خوشی"].startswith("'Noto Nastaliq Urdu'")
    assert families["开心"].startswith("'Noto Sans CJK SC'")
    assert families["😊"].startswith("'Noto Color Emoji'")


def test_cloud_svg_escapes_words_and_title():
    counts = [WordCount("<b>&", "<b>&", 2)]
    svg = cloud_svg(counts, title='Words "from" <here>')
    root = ET.fromstring(svg)  # noqa: S314 -- our own SVG
    assert [element.text for element in root.iter(f"{SVG}text")] == ["<b>&"]
    assert "<b>" not in svg


def test_cloud_svg_with_no_words_says_so():
    root = ET.fromstring(cloud_svg([], title="Words"))  # noqa: S314 -- our own SVG
    assert root.find(f"{SVG}title").text == "Words: no words yet."
    assert [element.text for element in root.iter(f"{SVG}text")] == ["No words yet."]


def test_cloud_png_draws_the_same_layout_as_an_image():
    counts = many_counts(100, 30)
    cloud = layout_cloud(counts)
    image = Image.open(io.BytesIO(cloud_png(counts, title="Words from the all-day")))
    assert image.format == "PNG"
    assert image.size == (cloud.width * 2, cloud.height * 2)
    assert image.text["Title"] == "Words from the all-day"
    # Something was drawn in the biggest word's box.
    biggest = cloud.words[0]
    box = tuple(round(v * 2) for v in biggest.box)
    assert image.convert("L").crop(box).getextrema()[0] < 128


@pytest.mark.parametrize("words", [10, 1000])
def test_cloud_page_query_count_does_not_grow_with_words(client, world, words, django_assert_num_queries):
    session = world.session
    vocabulary = [f"word{i}" for i in range(200)]
    Word.objects.bulk_create(
        Word(
            session=session,
            said=vocabulary[i % 200],
            normalised=vocabulary[i % 200],
            source=WordSource.TYPED,
            state=WordState.SHOWN,
        )
        for i in range(words)
    )
    client.force_login(world.user("facilitator"))
    url = reverse("evaluations:cloud", args=[session.pk])
    client.get(url)  # warm the permission caches the same way for both sizes
    # 8: the page's own, and two-factor's check that this user has not set it up (accounts.twofactor).
    with django_assert_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("<tr><td>") == min(words, 200)
