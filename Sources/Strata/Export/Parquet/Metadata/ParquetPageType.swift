/// Kinds of pages (`enum PageType` in `parquet.thrift`).
enum ParquetPageType: Int32 {
    case dataPage = 0
    case indexPage = 1
    case dictionaryPage = 2
    case dataPageV2 = 3
}
