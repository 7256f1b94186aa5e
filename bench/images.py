"""How fast uploaded photos go through the artwork pipeline: 50 photos of 12 megapixels (noisy, photo-like
JPEGs of 4000 × 3000 stored sideways with EXIF orientation 6, as phones write them) through
save_artwork (check, turn upright, re-encode the original, store it, create the row) and the
artwork.make_sizes task run eagerly on commit (display size ≤ 2000 px and thumbnail ≤ 400 px, stored,
row marked ready), against bare Pillow doing the same steps in the same run: open → exif_transpose →
save the original → shrink to 2000 → save → shrink to 400 → save, with the same qualities, to files.

    .venv/bin/python bench/images.py                  # 50 photos, 2 rounds
    .venv/bin/python bench/images.py --photos 10 --rounds 1

All read the same JPEG files from disk (Django hands a large upload to a view as a temporary file) and
write their results to disk, photo by photo in turn, so a busy machine slows them alike. The pipeline
reads its stored original back in the task, as a real worker must; there it lets libjpeg decode at half
scale when that still leaves at least 2000 px (Pillow's draft; --no-draft turns it off, to see what it
saves). Bare Pillow, holding the full-size picture already, cannot use the draft, so it is timed twice:
with Pillow's default thumbnail, and with reducing_gap=1 (a box filter halves the picture first, the
in-memory counterpart of the draft); the ratio is against the quicker of the two. Everything (a
throwaway SQLite database and media folder in a temporary VAR_DIR) is removed at the end. The best
round of each counts. The last line is ``ratio pipeline/bare: X.XX``.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from PIL import ExifTags, Image, ImageChops, ImageOps

REPO = Path(__file__).resolve().parent.parent
SIZE = (4000, 3000)
JPEG_QUALITY = 90
SIZES_QUALITY = 85


def make_photos(folder: Path, count: int) -> list[Path]:
    """``count`` different photo-like JPEGs: smooth colour gradients with sensor-like noise on top, each
    shifted differently, stored sideways with EXIF orientation 6 and a camera make, as a phone does."""
    width, height = SIZE
    noise = Image.effect_noise(SIZE, 24)
    ramp_x = Image.linear_gradient("L").resize(SIZE)
    ramp_y = Image.linear_gradient("L").rotate(90).resize(SIZE)
    paths = []
    for n in range(count):
        red = ImageChops.add(
            ImageChops.offset(ramp_x, n * 97, 0), ImageChops.offset(noise, n * 31, n * 17), 2, -40
        )
        green = ImageChops.add(ramp_y, ImageChops.offset(noise, n * 53, n * 7), 2, -30)
        blue = ImageChops.add(ImageChops.invert(ramp_x), ImageChops.offset(noise, n * 11, n * 43), 2, -20)
        photo = Image.merge("RGB", (red, green, blue))
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = 6
        exif[ExifTags.Base.Make] = "BenchPhone"
        exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (53.0, 28.0, 0.0), 3: "W", 4: (2.0, 14.0, 0.0)}
        path = folder / f"IMG_{n:04d}.jpg"
        photo.save(path, "JPEG", quality=92, exif=exif)
        paths.append(path)
    return paths


def bare_pillow(path: Path, out: Path, *, reducing_gap: float = 2.0) -> None:
    """The same steps with nothing around them: no checks, no storage API, no database, no task.
    ``reducing_gap`` 1.0 lets Pillow halve the picture with a cheap box filter before resampling, the
    in-memory counterpart of the pipeline's draft decode."""
    with Image.open(path) as image:
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        image.info = {}
        image.save(out / f"{path.stem}-original.jpg", "JPEG", quality=JPEG_QUALITY)
        image.thumbnail((2000, 2000), reducing_gap=reducing_gap)
        image.save(out / f"{path.stem}-2000.jpg", "JPEG", quality=SIZES_QUALITY)
        image.thumbnail((400, 400))
        image.save(out / f"{path.stem}-400.jpg", "JPEG", quality=SIZES_QUALITY)


def create_session():
    """A programme with its sessions, a facilitator and an artist on the first session."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from events import services as events_services
    from events.enums import OrganisationKind
    from events.models import Neighbourhood, Organisation, Venue

    neighbourhood = Neighbourhood.objects.create(name="Millbrook")
    venue = Venue.objects.create(neighbourhood=neighbourhood, name="Millbrook Community Centre", capacity=40)
    school = Organisation.objects.create(
        neighbourhood=neighbourhood, name="Millbrook Primary", kind=OrganisationKind.SCHOOL
    )
    users = get_user_model().objects
    facilitator = users.create_user("facilitator", first_name="Fatima")
    artist = users.create_user("artist", first_name="Ade")
    programme = events_services.create_programme(
        neighbourhood=neighbourhood,
        title="Better Together in Millbrook",
        key_question="What would help every child here thrive?",
        first_date=timezone.localdate() + timedelta(days=21),
        venue=venue,
        schools=[school],
        created_by=facilitator,
    )
    session = programme.sessions.order_by("order").first()
    session.artists.add(artist)
    return session, artist


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--no-draft",
        action="store_true",
        help="make the task decode the stored original at full size (to see what the draft mode saves)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-images-"))
    try:
        (work / "var").mkdir()
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "bettertogether.settings",
                "DATABASE_URL": f"sqlite:///{work / 'var' / 'db.sqlite3'}",
                "VAR_DIR": str(work / "var"),
                "MEDIA_ROOT": str(work / "var" / "media"),
                "SECRET_KEY": "bench-only-not-a-secret",
                "DEBUG": "0",
                "LOG_LEVEL": "WARNING",
            }
        )
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from django.conf import settings
        from django.core.files.uploadedfile import UploadedFile
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        settings.CELERY_TASK_ALWAYS_EAGER = True
        if args.no_draft:
            from PIL import JpegImagePlugin

            JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None

        from artwork.enums import ImageState
        from artwork.models import Artwork
        from artwork.services.uploads import save_artwork

        started = time.perf_counter()
        photos = make_photos(work, args.photos)
        megabytes = sum(path.stat().st_size for path in photos) / 1024 / 1024
        print(
            f"{len(photos)} photos of {SIZE[0]} × {SIZE[1]} ({megabytes / len(photos):.1f} MB each) made in "
            f"{time.perf_counter() - started:.1f}s"
        )
        session, artist = create_session()

        def pipeline_one(path: Path) -> tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            with path.open("rb") as handle:
                upload = UploadedFile(
                    handle, name=path.name, content_type="image/jpeg", size=path.stat().st_size
                )
                save_artwork(session=session, upload=upload, artist=artist, uploaded_by=artist)
            return time.perf_counter() - wall, time.process_time() - cpu

        def bare_one(path: Path, out: Path, reducing_gap: float) -> tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            bare_pillow(path, out, reducing_gap=reducing_gap)
            return time.perf_counter() - wall, time.process_time() - cpu

        def check_pipeline() -> None:
            ready = Artwork.objects.filter(state=ImageState.READY).count()
            if ready != len(photos):
                raise SystemExit(f"bench: only {ready} of {len(photos)} artworks are ready")
            sample = Artwork.objects.first()
            with Image.open(sample.original.path) as original, Image.open(sample.display.path) as display:
                if original.size != (SIZE[1], SIZE[0]) or original.getexif() or max(display.size) != 2000:
                    raise SystemExit(f"bench: unexpected result {original.size} {display.size}")

        contenders = ["pipeline", "bare", "bare-reduce"]
        rounds = []
        for round_number in range(1, args.rounds + 1):
            Artwork.objects.all().delete()
            shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
            out = work / "bare"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            totals = {name: [0.0, 0.0] for name in contenders}
            # Photo by photo, taking turns at going first: a busy machine slows them all alike.
            for n, path in enumerate(photos):
                turns = {
                    "pipeline": lambda path=path: pipeline_one(path),
                    "bare": lambda path=path, out=out: bare_one(path, out, 2.0),
                    "bare-reduce": lambda path=path, out=out: bare_one(path, out, 1.0),
                }
                order = contenders[n % 3 :] + contenders[: n % 3]
                for name in order:
                    wall, cpu = turns[name]()
                    totals[name][0] += wall
                    totals[name][1] += cpu
            check_pipeline()
            rounds.append(totals)
            print(
                f"round {round_number}: "
                + ", ".join(
                    f"{name} {totals[name][0]:.2f}s (CPU {totals[name][1]:.2f}s)" for name in contenders
                )
                + f", {len(photos)} photos each"
            )

        n = len(photos)
        wall = {name: min(r[name][0] for r in rounds) for name in contenders}
        cpu = {name: min(r[name][1] for r in rounds) for name in contenders}
        labels = {
            "bare": "bare Pillow (thumbnail, Pillow's default reducing_gap=2)",
            "bare-reduce": "bare Pillow (thumbnail with reducing_gap=1: box-halves first, like the draft)",
            "pipeline": "pipeline (save_artwork + make_sizes)",
        }
        for name in ["bare", "bare-reduce", "pipeline"]:
            print(f"{labels[name]}: {n / wall[name]:.2f} images/s ({wall[name]:.2f}s; CPU {cpu[name]:.2f}s)")
        # Against the quicker of the two bare ways, so a trick the pipeline uses is not counted as a gain.
        baseline = min(wall["bare"], wall["bare-reduce"])
        print(f"CPU-time ratio pipeline/bare: {min(cpu['bare'], cpu['bare-reduce']) / cpu['pipeline']:.2f}")
        print(f"ratio pipeline/bare: {baseline / wall['pipeline']:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
