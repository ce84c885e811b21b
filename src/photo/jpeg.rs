//! Turning an operator's picture into the card's photo, and finding the photo in the file.
//!
//! Decoding, resizing and encoding are the `image` crate's (JPEG and PNG only); this module only
//! chooses the size and the quality, and walks the JPEG marker structure to find where the
//! photo ends in the (zero-padded) file.

use super::PhotoError;
use crate::error::ErrorChain;
use crate::profile::PhotoSpec;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;

/// The qualities tried, best first: the first whose JPEG fits the file is used.
pub const QUALITIES: [u8; 10] = [90, 85, 80, 75, 70, 60, 50, 40, 30, 20];

/// The largest picture accepted as input, in pixels per side (a camera's photo fits easily).
pub const MAX_INPUT_SIDE: u32 = 12_000;

/// The photo made for the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The baseline JPEG.
    pub jpeg: Vec<u8>,
    /// The JPEG quality that made it fit (1-100).
    pub quality: u8,
    /// Its width and height in pixels (the profile's).
    pub size: (u32, u32),
    /// The input picture's format (`JPEG`, `PNG`) and size in pixels.
    pub input: (&'static str, u32, u32),
}

/// Decodes a JPEG or PNG picture (any other format is refused), scales and crops it to the
/// profile's width × height (the centre is kept, the aspect ratio is not distorted), and
/// encodes it as a baseline JPEG at the best quality of [`QUALITIES`] whose size is at most
/// `limit` bytes. Refuses, saying the smallest size reached, when even the lowest quality is
/// too big.
pub fn prepare(input: &[u8], spec: &PhotoSpec, limit: usize) -> Result<Prepared, PhotoError> {
    let reader = ImageReader::new(Cursor::new(input))
        .with_guessed_format()
        .map_err(|e| PhotoError::Picture(format!("cannot be read: {e}", e = e.chain())))?;
    let kind = match reader.format() {
        Some(ImageFormat::Jpeg) => "JPEG",
        Some(ImageFormat::Png) => "PNG",
        Some(other) => {
            return Err(PhotoError::Picture(format!(
                "is a {other:?} picture: give a JPEG or PNG file"
            )));
        }
        None => {
            return Err(PhotoError::Picture(
                "is not a JPEG or PNG picture (its first bytes are neither): give a JPEG or PNG file"
                    .into(),
            ));
        }
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    let mut reader = reader;
    reader.limits(limits);
    let img = reader.decode().map_err(|e| {
        PhotoError::Picture(format!(
            "is a damaged or unsupported {kind}: {e}",
            e = e.chain()
        ))
    })?;
    let (in_w, in_h) = (img.width(), img.height());
    let rgb = on_white(&img.resize_to_fill(spec.width, spec.height, FilterType::Lanczos3));
    let mut smallest = usize::MAX;
    for q in QUALITIES {
        let jpeg = encode(&rgb, q)?;
        if jpeg.len() <= limit {
            return Ok(Prepared {
                jpeg,
                quality: q,
                size: (spec.width, spec.height),
                input: (kind, in_w, in_h),
            });
        }
        smallest = smallest.min(jpeg.len());
    }
    Err(PhotoError::TooBig {
        smallest,
        quality: QUALITIES.last().copied().unwrap_or(20),
        limit,
    })
}

/// The picture as RGB, with any transparency laid over white (a PNG with an alpha channel).
fn on_white(img: &DynamicImage) -> RgbImage {
    let rgba = img.to_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = src.0;
        let mix = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        dst.0 = [mix(r), mix(g), mix(b)];
    }
    out
}

fn encode(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(rgb)
        .map_err(|e| {
            PhotoError::Picture(format!("cannot be encoded as JPEG: {e}", e = e.chain()))
        })?;
    Ok(out)
}

/// Decodes a photo read from a card: its width and height, or why it is not a JPEG.
pub fn dimensions(jpeg: &[u8]) -> Result<(u32, u32), String> {
    image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
        .map(|i| (i.width(), i.height()))
        .map_err(|e| e.chain().to_string())
}

/// Whether a file's content starts like a JPEG (SOI `FF D8`): a photo is present.
pub fn starts_like_jpeg(data: &[u8]) -> bool {
    data.starts_with(&[0xFF, 0xD8])
}

/// The length of the JPEG at the start of `data`, up to and including its end marker (EOI
/// `FF D9`), found by walking the marker segments and the entropy-coded data of each scan.
/// `None` when `data` does not start with SOI or the JPEG has no end (a cut write).
pub fn jpeg_len(data: &[u8]) -> Option<usize> {
    if !starts_like_jpeg(data) {
        return None;
    }
    let mut i = 2;
    loop {
        // Fill bytes (FF FF ...) may precede a marker.
        while data.get(i) == Some(&0xFF) && data.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if data.get(i) != Some(&0xFF) {
            return None;
        }
        let marker = *data.get(i + 1)?;
        match marker {
            0xD9 => return Some(i + 2),
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let len = usize::from(u16::from_be_bytes([*data.get(i + 2)?, *data.get(i + 3)?]));
                if len < 2 {
                    return None;
                }
                i += 2 + len;
                if marker == 0xDA {
                    i = after_scan(data, i)?;
                }
            }
        }
    }
}

/// The position of the first marker after entropy-coded data starting at `i` (`FF 00` is a
/// stuffed byte and `FF D0`-`FF D7` restart markers belong to the scan).
fn after_scan(data: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let pos = data.get(i..)?.iter().position(|b| *b == 0xFF)?;
        i += pos;
        match *data.get(i + 1)? {
            0x00 | 0xD0..=0xD7 | 0xFF => i += 1,
            _ => return Some(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient_png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_fn(w, h, |x, y| {
            image::Rgba([(x * 255 / w) as u8, (y * 255 / h) as u8, 128, 200])
        });
        let mut out = Vec::new();
        image::DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    const SPEC: PhotoSpec = PhotoSpec {
        width: 150,
        height: 180,
        chunk: 255,
    };

    #[test]
    fn a_png_becomes_a_baseline_jpeg_of_the_profile_size_under_the_limit() {
        let p = prepare(&gradient_png(400, 300), &SPEC, 4096).unwrap();
        assert_eq!(p.size, (150, 180));
        assert_eq!(p.input, ("PNG", 400, 300));
        assert!(p.jpeg.len() <= 4096);
        assert_eq!(dimensions(&p.jpeg).unwrap(), (150, 180));
        // SOF0 (baseline), never SOF2 (progressive).
        assert!(p.jpeg.windows(2).any(|w| w == [0xFF, 0xC0]));
        assert_eq!(jpeg_len(&p.jpeg), Some(p.jpeg.len()));
    }

    #[test]
    fn the_quality_drops_until_it_fits_and_too_small_a_limit_is_refused() {
        let png = gradient_png(150, 180);
        let roomy = prepare(&png, &SPEC, 4096).unwrap();
        let tight = prepare(&png, &SPEC, roomy.jpeg.len() - 1).unwrap();
        assert!(tight.quality < roomy.quality);
        assert!(tight.jpeg.len() < roomy.jpeg.len());
        match prepare(&png, &SPEC, 300) {
            Err(PhotoError::TooBig {
                smallest, limit, ..
            }) => {
                assert_eq!(limit, 300);
                assert!(smallest > 300);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_formats_and_garbage_are_refused_clearly() {
        let e = prepare(b"GIF89a......", &SPEC, 4096)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Gif") && e.contains("JPEG or PNG"), "{e}");
        let e = prepare(b"hello", &SPEC, 4096).unwrap_err().to_string();
        assert!(e.contains("not a JPEG or PNG"), "{e}");
        let mut png = gradient_png(20, 20);
        png.truncate(60);
        let e = prepare(&png, &SPEC, 4096).unwrap_err().to_string();
        assert!(e.contains("damaged"), "{e}");
    }

    #[test]
    fn the_jpeg_end_is_found_in_a_padded_file_and_a_cut_one_has_none() {
        let jpeg = prepare(&gradient_png(150, 180), &SPEC, 4096).unwrap().jpeg;
        let mut file = jpeg.clone();
        file.resize(4096, 0);
        assert_eq!(jpeg_len(&file), Some(jpeg.len()));
        let mut cut = jpeg[..jpeg.len() / 2].to_vec();
        cut.resize(4096, 0);
        assert_eq!(jpeg_len(&cut), None);
        assert_eq!(jpeg_len(&[0u8; 16]), None);
        assert_eq!(jpeg_len(&[0xFF, 0xD8, 0xFF]), None);
        assert_eq!(jpeg_len(&[0xFF, 0xD8, 0xFF, 0xD9]), Some(4));
    }
}
