import { create } from 'zustand';
import type { Image } from '../../shared/images.js';

interface ImagesState {
  loaded: boolean;
  images: Image[];
  replaceAll(images: Image[]): void;
}

export const useImages = create<ImagesState>()((set) => ({
  loaded: false,
  images: [],
  replaceAll(images) {
    set({ loaded: true, images: [...images].sort((a, b) => (a.names[0] ?? a.id).localeCompare(b.names[0] ?? b.id)) });
  },
}));
