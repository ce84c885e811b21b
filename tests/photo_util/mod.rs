//! Test pictures made here with the image crate (no photo of anyone, no binary file copied
//! from anywhere) and an observer that records what is sent.
#![allow(dead_code)]

use image::{ImageFormat, Rgb, RgbImage};
use sscard::transport::{Observer, Refusal};
use std::io::Cursor;

/// A drawn head-and-shoulders figure on a light blue background, `w` × `h` pixels, as PNG.
pub fn avatar_png(w: u32, h: u32) -> Vec<u8> {
    let (fw, fh) = (w as f32, h as f32);
    let img = RgbImage::from_fn(w, h, |x, y| {
        let (x, y) = (x as f32 / fw, y as f32 / fh);
        let head = ((x - 0.5) / 0.22).powi(2) + ((y - 0.38) / 0.25).powi(2) <= 1.0;
        let shoulders = y > 0.72 && ((x - 0.5) / 0.45).powi(2) + ((y - 1.05) / 0.35).powi(2) <= 1.0;
        if head {
            Rgb([226, 190, 160])
        } else if shoulders {
            Rgb([40, 50, 90])
        } else {
            Rgb([200, (220.0 - 30.0 * y) as u8, 250])
        }
    });
    png(&img)
}

/// Random pixels (a fixed-seed generator): the hardest picture to compress.
pub fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut state: u64 = 0x5EED_1234_ABCD_0001;
    let img = RgbImage::from_fn(w, h, |_, _| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let b = (state >> 33).to_be_bytes();
        Rgb([b[5], b[6], b[7]])
    });
    png(&img)
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// Keeps every command APDU sent through a [`sscard::transport::Tap`].
#[derive(Default)]
pub struct Sent(pub Vec<Vec<u8>>);

impl Observer for Sent {
    fn command(&mut self, apdu: &[u8]) -> Result<(), Refusal> {
        self.0.push(apdu.to_vec());
        Ok(())
    }
}
